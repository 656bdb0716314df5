-- send_report.lua: a sales report written under the server's RootPath
-- (\spool\), with values formatted by Transform, sent as an attachment.
--
-- Server paths ("\spool\...") are relative to the RootPath of the
-- environment in appserver.ini ([advmail] Environment=NAME and its
-- [NAME] RootPath); without one, to the folder of the config file.
--   advmail run --sandbox scripts/send_report.lua

function SendReport()
  local oServer, oMessage, nRet, nI, nTotal, cLine, nHandle
  local cServer  = SuperGetMV("MV_RELSERV", false, "smtp.empresa.com.br")
  local cAccount = SuperGetMV("MV_RELACNT", false, "relatorios@empresa.com.br")
  local cPass    = SuperGetMV("MV_RELPSW",  false, "senha")
  local cTo      = SuperGetMV("MV_RELDEST", false, "diretoria@empresa.com.br")
  local nTimeout = GetMV("MV_RELTIME", false, 60)
  local cDir     = "\\spool\\relatorios\\"
  local cFile    = cDir .. "vendas_" .. DtoS(Date()) .. ".txt"
  local aVendas  = {
    { "000001", "Distribuidora Alfa Ltda", 1234567.891 },
    { "000002", "Comercial Beta S/A",       98765.4 },
    { "000003", "Gama Importadora",           0.5 },
  }

  if not ExistDir(cDir) then
    MakeDir(cDir)
  end
  nHandle = FCreate(cFile)
  if nHandle < 0 then
    conout("[SendReport] FCreate " .. cFile .. ": erro " .. cValToChar(FError()))
    return false
  end
  FWrite(nHandle, PadR("Cliente", 8) .. PadR("Nome", 26) .. PadL("Valor", 16) .. "\r\n")
  nTotal = 0
  for nI = 1, Len(aVendas) do
    cLine = PadR(aVendas[nI][1], 8) .. PadR(aVendas[nI][2], 26) ..
            Transform(aVendas[nI][3], "@E 999,999,999.99") .. "\r\n"
    FWrite(nHandle, cLine)
    nTotal = nTotal + aVendas[nI][3]
  end
  FWrite(nHandle, PadR("Total", 34) .. Transform(nTotal, "@E 999,999,999.99") .. "\r\n")
  FWrite(nHandle, "CEP da matriz: " .. Transform("01310100", "@R 99.999-999") .. "\r\n")
  FClose(nHandle)

  -- split host:port as Protheus routines do with MV_RELSERV
  local nPort = 587
  if At(":", cServer) > 0 then
    nPort   = Val(SubStr(cServer, At(":", cServer) + 1))
    cServer = SubStr(cServer, 1, At(":", cServer) - 1)
  end

  oServer = TMailManager():New()
  oServer:SetUseTLS(true)
  nRet = oServer:Init("", cServer, cAccount, cPass, 0, nPort)
  if nRet == 0 then
    nRet = oServer:SetSMTPTimeout(nTimeout)
  end
  if nRet == 0 then
    nRet = oServer:SMTPConnect()
  end
  if nRet ~= 0 then
    conout("[SendReport] SMTP: " .. oServer:GetErrorString(nRet))
    return false
  end
  nRet = oServer:SmtpAuth(cAccount, cPass)
  if nRet ~= 0 then
    conout("[SendReport] SMTPAuth: " .. oServer:GetErrorString(nRet))
    oServer:SMTPDisconnect()
    return false
  end

  oMessage = TMailMessage():New()
  oMessage:Clear()
  oMessage.cFrom    = cAccount
  oMessage.cTo      = cTo
  oMessage.cSubject = "Relatório de vendas - total R$ " .. AllTrim(Transform(nTotal, "@E 999,999,999.99"))
  oMessage.cBody    = "<p>Segue o relatório de vendas.</p>"
  if oMessage:AttachFile(cFile) < 0 then
    conout("[SendReport] AttachFile " .. cFile .. " falhou")
    oServer:SMTPDisconnect()
    return false
  end
  nRet = oMessage:Send(oServer)
  oServer:SMTPDisconnect()
  if nRet ~= 0 then
    conout("[SendReport] Send: " .. oServer:GetErrorString(nRet))
    return false
  end
  conout("[SendReport] relatório enviado: " .. cFile)
  return true
end

if not SendReport() then
  error("SendReport failed")
end
