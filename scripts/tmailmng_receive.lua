-- tmailmng_receive.lua: receive over IMAP with the newer TMailMng class
-- (configured through properties, Connect/Disconnect, Receive2).
--
--   advmail run --sandbox scripts/tmailmng_receive.lua
--
-- TMailMng():New(nProtocol, nServerSSL, nSMTPSSL): nProtocol 0 = POP3, 1 = IMAP;
-- SSL numbers: 0 none, 1..3 implicit TLS (SSL), 4..6 STARTTLS (TLS) — see docs/api.md.

function RecebeMng()
  local oMng, oMessage, nRet, nNumMsgs, nI, nJ, aInfo
  local nTotalAnexos = 0

  oMng = TMailMng():New(1, SuperGetMV("MV_MNGSSL", false, 3), 6)
  oMng.cUser       = SuperGetMV("MV_IMAPUSR", false, "nfe@empresa.com.br")
  oMng.cPass       = SuperGetMV("MV_IMAPPSW", false, "senha")
  oMng.cSrvAddr    = SuperGetMV("MV_IMAPSRV", false, "imap.empresa.com.br")
  oMng.nSrvPort    = SuperGetMV("MV_IMAPPOR", false, 993)
  oMng.nSrvTimeout = 60
  oMng.lUseRealID  = false

  nRet = oMng:Connect()
  if nRet ~= 0 then
    conout("Connect: " .. oMng:GetErrorString(nRet))
    return false
  end
  conout("Conectado: " .. cValToChar(oMng.lConnected) .. " pasta " .. oMng.cCurrentFolder)

  nNumMsgs = 0
  nRet, nNumMsgs = oMng:GetNumMsgs(nNumMsgs)
  if nRet ~= 0 then
    conout("GetNumMsgs: " .. oMng:GetErrorString(nRet))
    oMng:Disconnect()
    return false
  end
  conout("Mensagens: " .. cValToChar(nNumMsgs))

  oMessage = TMailMessage():New()
  for nI = 1, nNumMsgs do
    oMessage:Clear()
    nRet = oMessage:Receive2(oMng, nI)
    if nRet ~= 0 then
      conout("Receive2 " .. cValToChar(nI) .. ": " .. oMng:GetErrorString(nRet))
    else
      conout(StrZero(nI, 3) .. " | " .. oMessage.cFrom .. " | " .. oMessage.cSubject ..
             " | anexos: " .. cValToChar(oMessage:GetAttachCount()))
      for nJ = 1, oMessage:GetAttachCount() do
        aInfo = oMessage:GetAttachInfo(nJ)
        conout("      " .. aInfo[1] .. " (" .. aInfo[2] .. ", " .. cValToChar(aInfo[7]) .. " bytes)")
        nTotalAnexos = nTotalAnexos + 1
      end
    end
  end

  conout("Total de anexos: " .. cValToChar(nTotalAnexos))
  oMng:Disconnect()
  return true
end

if not RecebeMng() then
  error("RecebeMng failed")
end
