#include "totvs.ch"
// comentario de linha
/* bloco
   multi-linha */
* asterisco no inicio da linha

User Function Comments()
	* asterisco recuado
	NOTE uma nota
	&& e-comercial duplo
	ConOut("a") // fim de linha
	ConOut("b") && fim de linha
	ConOut(/* dentro */ "c")
	ConOut("d // nao e comentario", "/* nem isto */")
	ConOut(2 * 3) /* depois */
	/* ConOut("nao roda") */
	// ConOut("nem esta")
Return
