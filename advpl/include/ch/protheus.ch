// protheus.ch: advmail's own include file. The common set: CRLF, the
// screen command stubs and the usual constant headers. The language itself
// (functions, classes, Default, Begin Sequence...) is parsed natively.

#ifndef _ADVMAIL_PROTHEUS_CH
#define _ADVMAIL_PROTHEUS_CH

#define CRLF Chr(13)+Chr(10)

#include "colors.ch"
#include "font.ch"
#include "fileio.ch"
#include "ap5mail.ch"
#include "rwmake.ch"

#endif
