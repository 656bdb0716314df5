// font.ch: advmail's own include file. DEFINE FONT reduced to a stub object.
#ifndef _ADVMAIL_FONT_CH
#define _ADVMAIL_FONT_CH
#xcommand DEFINE FONT <o> [NAME <n>] [SIZE <w>, <h>] [<bold: BOLD>] [<*any*>] => <o> := UIStub("FONT", <n>)
#endif
