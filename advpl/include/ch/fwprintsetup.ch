// fwprintsetup.ch: advmail's own include file. FWPrintSetup option flags.
#ifndef _ADVMAIL_FWPRINTSETUP_CH
#define _ADVMAIL_FWPRINTSETUP_CH
#define PD_ISTOTVSPRINTER     1
#define PD_DISABLEDESTINATION 2
#define PD_DISABLEORIENTATION 4
#define PD_DISABLEPAPERSIZE   8
#define PD_DISABLEPREVIEW     16
#define PD_DISABLEMARGIN      32
#endif
