-- xml_importer.lua: import supplier XML invoices (NF-e) as they arrive.
-- Waits for new mail with IMAP IDLE (WaitNewMsgs), asks the server for the
-- unread messages from the supplier's domain (SearchMsgs: no header is
-- downloaded for the others), saves their .xml attachments in MV_XMLDIR
-- with the API's safe names (SaveAttach into a folder: never a path built
-- from the sender's file name, never an overwrite) and moves each processed
-- message to MV_XMLPROC ("Processados"). Both methods are advmail
-- extensions (docs/api.md).
--
-- It runs until interrupted: Ctrl-C in `advmail run`, the host's cancel, or
-- the job being killed end the wait at once. MV_XMLROUND > 0 stops it after
-- that many rounds instead (tests, a scheduled run).
--
--   advmail run --sandbox scripts/xml_importer.lua
--
-- Several folders or accounts: one TMailManager waits on one folder, so
-- start one job per folder, each running ImportaXML with its own
-- connection (StartJob needs the AdvPL twin, xml_importer.prw, whose
-- U_XMLPastas does exactly this):
--
--   for _, cPasta in ipairs({"INBOX", "Fornecedores/Calcados"}) do
--     StartJob("ImportaXML", GetEnvServer(), false, cPasta)
--   end

-- SalvaXML saves the XML attachments of the received message; it answers
-- how many it saved.
local function SalvaXML(oMessage, cDir)
  local nSaved = 0
  for nJ = 1, oMessage:GetAttachCount() do
    local aInfo = oMessage:GetAttachInfo(nJ)
    local cName = aInfo[1]
    if Empty(cName) then
      cName = aInfo[4]
    end
    if Lower(Right(AllTrim(cName), 4)) == ".xml" then
      local lOk, cSaved = oMessage:SaveAttach(nJ, cDir)
      if lOk then
        conout("XML salvo: " .. cSaved .. " (" .. oMessage.cSubject .. ")")
        nSaved = nSaved + 1
      else
        conout("Falha ao salvar " .. cName)
      end
    end
  end
  return nSaved
end

-- Processa imports what the search finds; it answers the number of XMLs
-- saved, or nil when the search failed.
local function Processa(oServer, cCriteria, cDir, cProc)
  local aMsgs = oServer:SearchMsgs(cCriteria)
  if aMsgs == nil then
    conout("SearchMsgs: " .. oServer:GetErrorString())
    return nil
  end
  local oMessage = TMailMessage():New()
  local aDone, nSaved = {}, 0
  for _, nUID in ipairs(aMsgs) do
    oMessage:Clear()
    local nRet = oMessage:Receive(oServer, nUID)
    if nRet ~= 0 then
      conout("Receive " .. cValToChar(nUID) .. ": " .. oServer:GetErrorString(nRet))
    else
      local n = SalvaXML(oMessage, cDir)
      if n > 0 then
        nSaved = nSaved + n
        aAdd(aDone, nUID)
      end
    end
  end
  -- one MOVE for the whole batch; messages without an XML stay (read)
  if #aDone > 0 and not oServer:MoveMsgs(aDone, cProc) then
    conout("MoveMsgs: " .. oServer:GetErrorString())
  end
  return nSaved
end

function ImportaXML(cFolder)
  local cServer = SuperGetMV("MV_XMLSRV",   false, "imap.empresa.com.br")
  local cUser   = SuperGetMV("MV_XMLUSR",   false, "nfe@empresa.com.br")
  local cPass   = SuperGetMV("MV_XMLPSW",   false, "senha")
  local nPort   = SuperGetMV("MV_XMLPOR",   false, 993)
  local lSSL    = SuperGetMV("MV_XMLSSL",   false, true)
  local cDomain = SuperGetMV("MV_XMLDOM",   false, "advmail.sandbox")
  local cDir    = SuperGetMV("MV_XMLDIR",   false, "xml_recebidos/")
  local cProc   = SuperGetMV("MV_XMLPROC",  false, "Processados")
  local nWait   = SuperGetMV("MV_XMLWAIT",  false, 600)
  local nRounds = SuperGetMV("MV_XMLROUND", false, 0)
  local nRound, nTotal = 0, 0
  -- IMAP SEARCH syntax: unread, sender address containing the domain
  local cCriteria = 'UNSEEN FROM "@' .. cDomain .. '"'

  cFolder = cFolder or "INBOX"
  if Right(cDir, 1) ~= "/" and Right(cDir, 1) ~= "\\" then
    cDir = cDir .. "/"
  end
  MakeDir(cDir)

  local oServer = TMailManager():New()
  oServer:SetUseSSL(lSSL)
  oServer:Init(cServer, "", cUser, cPass, nPort, 0)
  oServer:SetPOPTimeout(60)
  local nRet = oServer:IMAPConnect()
  if nRet ~= 0 then
    conout("IMAPConnect: " .. oServer:GetErrorString(nRet))
    return false
  end
  -- UIDs: SearchMsgs, Receive and MoveMsgs agree on them even while
  -- messages are moved away
  oServer:SetUseRealID(true)
  if not oServer:ChangeFolder(cProc) then
    oServer:CreateFolder(cProc)
  end
  if not oServer:ChangeFolder(cFolder) then
    conout("Pasta não encontrada: " .. cFolder)
    oServer:IMAPDisconnect()
    return false
  end
  conout("Aguardando XMLs de " .. cDomain .. " em " .. cFolder)

  while true do
    local nSaved = Processa(oServer, cCriteria, cDir, cProc)
    if nSaved == nil then
      break
    end
    nTotal = nTotal + nSaved
    nRound = nRound + 1
    conout("Rodada " .. cValToChar(nRound) .. ": " .. cValToChar(nSaved) .. " XML(s)")
    if nRounds > 0 and nRound >= nRounds then
      break
    end
    -- returns as soon as mail arrives (mail that came in while we were
    -- processing counts too), 0 after nWait seconds: search again anyway
    local nNew = oServer:WaitNewMsgs(nWait)
    if nNew < 0 then
      conout("WaitNewMsgs: " .. oServer:GetErrorString())
      break
    elseif nNew > 0 then
      conout("Chegaram " .. cValToChar(nNew) .. " mensagem(ns)")
    end
  end

  oServer:IMAPDisconnect()
  conout("XMLs importados: " .. cValToChar(nTotal))
  return true
end

if not ImportaXML(...) then
  error("ImportaXML failed")
end
