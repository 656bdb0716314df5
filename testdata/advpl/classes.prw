#include "totvs.ch"

Class TAnimal
	Data cNome
	Data nPatas
	Method New(cNome) Constructor
	Method Fala()
	Method Descreve()
EndClass

Method New(cNome) Class TAnimal
	::cNome := cNome
	::nPatas := 4
Return Self

Method Fala() Class TAnimal
Return "..."

Method Descreve() Class TAnimal
Return ::cNome + " diz " + ::Fala() + " com " + cValToChar(::nPatas) + " patas"

Class TPassaro From TAnimal
	Data lVoa
	Method New(cNome) Constructor
	Method Fala()
EndClass

Method New(cNome) Class TPassaro
	Super:New(cNome)
	::nPatas := 2
	::lVoa := .T.
Return Self

Method Fala() Class TPassaro
Return "piu"

User Function Classes()
	Local oGato := TAnimal():New("gato")
	Local oPiu := TPassaro():New("piu")
	ConOut(oGato:Descreve())
	ConOut(oPiu:Descreve())
	ConOut(ValType(oPiu), oPiu:ClassName(), oPiu:lVoa)
	ConOut(oPiu:cNome, oPiu:CNOME, oPiu:cnome)
	oPiu:cNome := "tico"
	ConOut(oPiu:DESCREVE())
	ConOut("fresh", ValType(TAnimal():cNome))
Return
