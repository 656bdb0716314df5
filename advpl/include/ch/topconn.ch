// topconn.ch: advmail's own include file. TCQUERY / TCSETFIELD map to
// functions (the runtime reports that a database is needed).
#ifndef _ADVMAIL_TOPCONN_CH
#define _ADVMAIL_TOPCONN_CH
#xcommand TCQUERY <q> ALIAS <a> NEW => TCQuery(<q>, <(a)>)
#xcommand TCQUERY <q> NEW ALIAS <a> => TCQuery(<q>, <(a)>)
#xcommand TCSETFIELD <a>, <f>, <t> [, <l> [, <d>]] => TCSetField(<a>, <f>, <t>, <l>, <d>)
#endif
