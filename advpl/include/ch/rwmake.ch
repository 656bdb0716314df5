// rwmake.ch: advmail's own include file. Screen commands reduced to the
// runtime stubs UIStub/UIActivate (advmail has no user interface).

#ifndef _ADVMAIL_RWMAKE_CH
#define _ADVMAIL_RWMAKE_CH

#ifndef CRLF
#define CRLF Chr(13)+Chr(10)
#endif

#xcommand DEFINE MSDIALOG <o> [TITLE <t>] [<*any*>] => <o> := UIStub("MSDIALOG", <t>)
#xcommand DEFINE DIALOG <o> [TITLE <t>] [<*any*>] => <o> := UIStub("DIALOG", <t>)
#xcommand ACTIVATE MSDIALOG <o> [<*any*>] => UIActivate(<o>)
#xcommand ACTIVATE DIALOG <o> [<*any*>] => UIActivate(<o>)
#xcommand DEFINE SBUTTON [<o>] FROM <r>, <c> [<*any*>] => [<o> := ] UIStub("SBUTTON", NIL)
#xcommand @ <r>, <c> SAY <x> [<*any*>] => UIStub("SAY", <x>)
#xcommand @ <r>, <c> GET <v> [<*any*>] => UIStub("GET", <v>)
#xcommand @ <r>, <c> MSGET <v> [<*any*>] => UIStub("MSGET", <v>)
#xcommand @ <r>, <c> BUTTON <x> [<*any*>] => UIStub("BUTTON", <x>)
#xcommand @ <r>, <c> BMPBUTTON TYPE <n> [<*any*>] => UIStub("BMPBUTTON", <n>)

#endif
