// rptdef.ch: advmail's own include file. Print device constants.
#ifndef _ADVMAIL_RPTDEF_CH
#define _ADVMAIL_RPTDEF_CH
#define IMP_DISCO   1
#define IMP_SPOOL   2
#define IMP_EMAIL   3
#define IMP_EXCEL   4
#define IMP_HTML    5
#define IMP_PDF     6
#define AMB_SERVER  1
#define AMB_CLIENT  2
#endif
