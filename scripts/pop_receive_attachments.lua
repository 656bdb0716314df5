-- pop_receive_attachments.lua: pull XML invoices (NF-e) out of a POP box.
-- Saves every .xml attachment into the folder MV_XMLDIR (SaveAttach with a
-- folder: safe names, no overwrite) and deletes the messages that carried
-- one; the deletions are committed only by POPDisconnect (QUIT).
--
--   advmail run --sandbox scripts/pop_receive_attachments.lua

function RecebeXML()
  local oServer, oMessage, nRet, nNumMsgs, nI, nJ, aInfo, cName, lXml
  local cServer = SuperGetMV("MV_POPSERV", false, "pop.empresa.com.br")
  local cUser   = SuperGetMV("MV_POPUSR",  false, "nfe@empresa.com.br")
  local cPass   = SuperGetMV("MV_POPPSW",  false, "senha")
  local nPort   = SuperGetMV("MV_POPPORT", false, 995)
  local lSSL    = SuperGetMV("MV_POPSSL",  false, true)
  local cDir    = SuperGetMV("MV_XMLDIR",  false, "xml_recebidos/")
  local cIni    = GetSrvIniName()
  local cProtocol = GetPvProfString("MAIL", "Protocol", "", cIni)
  local nSaved, nDeleted = 0, 0

  -- the receive protocol is chosen by the server ini, as in Protheus
  WritePProString("MAIL", "Protocol", "POP3", cIni)

  if Right(cDir, 1) ~= "/" and Right(cDir, 1) ~= "\\" then
    cDir = cDir .. "/"
  end
  MakeDir(cDir)

  oServer = TMailManager():New()
  oServer:SetUseSSL(lSSL)
  nRet = oServer:Init(cServer, "", cUser, cPass, nPort, 0)
  oServer:SetPOPTimeout(60)
  nRet = oServer:POPConnect()
  if nRet ~= 0 then
    conout("POPConnect: " .. oServer:GetErrorString(nRet))
    WritePProString("MAIL", "Protocol", cProtocol, cIni)
    return false
  end

  nNumMsgs = 0
  nRet, nNumMsgs = oServer:GetNumMsgs(nNumMsgs)  -- AdvPL: GetNumMsgs(@nNumMsgs)
  conout("Mensagens na caixa: " .. cValToChar(nNumMsgs))

  oMessage = TMailMessage():New()
  for nI = 1, nNumMsgs do
    oMessage:Clear()
    nRet = oMessage:Receive(oServer, nI)
    if nRet == 6 or nRet == 15 then -- no connection, or the connection was lost
      conout("Conexão perdida: " .. oServer:GetErrorString(nRet))
      break
    elseif nRet ~= 0 then
      conout("Receive " .. cValToChar(nI) .. ": " .. oServer:GetErrorString(nRet))
    else
      lXml = false
      for nJ = 1, oMessage:GetAttachCount() do
        aInfo = oMessage:GetAttachInfo(nJ)
        cName = aInfo[1]
        if Empty(cName) then
          cName = aInfo[4]
        end
        if Lower(Right(AllTrim(cName), 4)) == ".xml" then
          -- Save into the folder: the API reduces the sender's name to a
          -- safe base name and never overwrites an earlier invoice (a
          -- numbered variant nota-2.xml is used). Never build a path from
          -- the sender's name.
          local lOk, cSaved = oMessage:SaveAttach(nJ, cDir)
          if lOk then
            conout("XML salvo: " .. cSaved .. " (" .. oMessage.cSubject .. ")")
            nSaved = nSaved + 1
            lXml = true
          else
            conout("Falha ao salvar " .. cName)
          end
        end
      end
      if lXml then
        oServer:DeleteMsg(nI)
        nDeleted = nDeleted + 1
      end
    end
  end

  oServer:POPDisconnect()
  WritePProString("MAIL", "Protocol", cProtocol, cIni)
  conout("XMLs salvos: " .. cValToChar(nSaved) .. " - mensagens apagadas: " .. cValToChar(nDeleted))
  return true
end

if not RecebeXML() then
  error("RecebeXML failed")
end
