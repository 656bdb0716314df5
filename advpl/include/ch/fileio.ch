// fileio.ch: advmail's own include file. Low-level file I/O constants.
#ifndef _ADVMAIL_FILEIO_CH
#define _ADVMAIL_FILEIO_CH
#define FO_READ        0
#define FO_WRITE       1
#define FO_READWRITE   2
#define FO_COMPAT      0
#define FO_EXCLUSIVE   16
#define FO_DENYWRITE   32
#define FO_DENYREAD    48
#define FO_DENYNONE    64
#define FO_SHARED      64
#define FS_SET         0
#define FS_RELATIVE    1
#define FS_END         2
#define FC_NORMAL      0
#define FC_READONLY    1
#define FC_HIDDEN      2
#define FC_SYSTEM      4
#define F_ERROR        (-1)
#endif
