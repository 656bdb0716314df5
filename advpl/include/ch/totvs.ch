// totvs.ch: advmail's own include file. Same common set as protheus.ch.
#include "protheus.ch"
