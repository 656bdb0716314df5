// dbinfo.ch: advmail's own include file. Operation constants shared with
// fwmvcdef.ch and a few DBINFO codes.
#ifndef _ADVMAIL_DBINFO_CH
#define _ADVMAIL_DBINFO_CH
#include "fwmvcdef.ch"
#define DBI_ISDBF      1
#define DBI_FULLPATH   10
#define DBI_ALIAS      12
#endif
