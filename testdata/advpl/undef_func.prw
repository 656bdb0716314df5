#include "totvs.ch"

User Function UndefF()
	ConOut("antes")
	NaoExisteXYZ(1)
	ConOut("depois")
Return
