// parmtype.ch: advmail's own include file. PARAMTYPE assigns the DEFAULT
// value to a NIL parameter; without DEFAULT it does nothing.
#ifndef _ADVMAIL_PARMTYPE_CH
#define _ADVMAIL_PARMTYPE_CH
#xcommand PARAMTYPE <n> VAR <v> AS <t,...> [<opt: OPTIONAL>] DEFAULT <d> => If <v> == NIL ; <v> := <d> ; EndIf
#xcommand PARAMTYPE <n> VAR <v> AS <t,...> [<opt: OPTIONAL>] =>
#endif
