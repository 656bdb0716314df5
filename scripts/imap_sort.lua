-- imap_sort.lua: sort an IMAP inbox into folders by subject.
-- NF-e messages go to "Notas Fiscais", reports to "Relatórios" (accented
-- names travel as modified UTF-7), everything else stays in INBOX.
--
--   advmail run --sandbox scripts/imap_sort.lua

local aRegras = {
  { "NF-E",      "Notas Fiscais" },
  { "NOTA FISCAL", "Notas Fiscais" },
  { "RELATÓRIO", "Relatórios" },
  { "RELATORIO", "Relatórios" },
}

function OrdenaCaixa()
  local oServer, oMessage, nRet, nNumMsgs, nI, nJ, cSubject, cDestino
  local cServer = SuperGetMV("MV_IMAPSRV", false, "imap.empresa.com.br")
  local cUser   = SuperGetMV("MV_IMAPUSR", false, "nfe@empresa.com.br")
  local cPass   = SuperGetMV("MV_IMAPPSW", false, "senha")
  local nPort   = SuperGetMV("MV_IMAPPOR", false, 993)
  local lSSL    = SuperGetMV("MV_IMAPSSL", false, true)
  local nMoved  = 0
  local aPastas = {}

  oServer = TMailManager():New()
  oServer:SetUseSSL(lSSL)
  nRet = oServer:Init(cServer, "", cUser, cPass, nPort, 0)
  oServer:SetPOPTimeout(60)
  nRet = oServer:IMAPConnect()
  if nRet ~= 0 then
    conout("IMAPConnect: " .. oServer:GetErrorString(nRet))
    return false
  end
  -- sequence numbers (not UIDs): walk from the last message to the first so
  -- that moving one does not renumber the ones still to be read
  oServer:SetUseRealID(false)

  if not oServer:ChangeFolder("INBOX") then
    conout("INBOX não encontrada")
    oServer:IMAPDisconnect()
    return false
  end

  nNumMsgs = 0
  nRet, nNumMsgs = oServer:GetNumMsgs(nNumMsgs)
  conout("Mensagens na INBOX: " .. cValToChar(nNumMsgs))

  oMessage = TMailMessage():New()
  for nI = nNumMsgs, 1, -1 do
    oMessage:Clear()
    nRet = oMessage:Receive(oServer, nI)
    if nRet ~= 0 then
      conout("Receive " .. cValToChar(nI) .. ": " .. oServer:GetErrorString(nRet))
    else
      cSubject = Upper(oMessage.cSubject)
      cDestino = ""
      for nJ = 1, Len(aRegras) do
        if At(aRegras[nJ][1], cSubject) > 0 then
          cDestino = aRegras[nJ][2]
          break
        end
      end
      if not Empty(cDestino) then
        if aScan(aPastas, cDestino) == 0 then
          -- create the folder when it does not exist yet
          if not oServer:ChangeFolder(cDestino) then
            oServer:CreateFolder(cDestino)
            oServer:SetFolderSubscribe(cDestino, true)
          end
          oServer:ChangeFolder("INBOX")
          aAdd(aPastas, cDestino)
        end
        if oServer:MoveMsg(nI, cDestino) then
          conout("Movida para " .. cDestino .. ": " .. oMessage.cSubject)
          nMoved = nMoved + 1
        else
          conout("Falha ao mover: " .. oMessage.cSubject)
        end
      end
    end
  end

  conout("Mensagens movidas: " .. cValToChar(nMoved))
  oServer:IMAPDisconnect()
  return true
end

if not OrdenaCaixa() then
  error("OrdenaCaixa failed")
end
