-- send_attachments.lua: an invoice e-mail with a PDF attachment and an
-- inline logo referenced from the HTML body as cid:logo (AddAttHTag).
--
--   advmail run --sandbox scripts/send_attachments.lua
--
-- Parameters come from [Parameters] in appserver.ini (MV_REL*), see send_simple.lua.

-- files sit next to the script (AdvPL would use a path under RootPath)
local cDir = string.match(arg and arg[0] or "", "^(.*[/\\])") or "./"

function SendInvoice()
  local oServer, oMessage, nRet, nIdx
  local cServer   = SuperGetMV("MV_RELSERV", false, "smtp.empresa.com.br")
  local cAccount  = SuperGetMV("MV_RELACNT", false, "faturamento@empresa.com.br")
  local cPassword = SuperGetMV("MV_RELPSW",  false, "senha")
  local cFrom     = SuperGetMV("MV_RELFROM", false, "Faturamento Empresa <faturamento@empresa.com.br>")
  local cTo       = SuperGetMV("MV_RELDEST", false, "João da Silva <joao@cliente.com.br>; compras@cliente.com.br")
  local cCc       = SuperGetMV("MV_RELCC",   false, "Financeiro <financeiro@empresa.com.br>")
  local cBcc      = SuperGetMV("MV_RELBCC",  false, "auditoria@empresa.com.br")
  local lAuth     = SuperGetMV("MV_RELAUTH", false, true)
  local lSSL      = SuperGetMV("MV_RELSSL",  false, true)
  local lTLS      = SuperGetMV("MV_RELTLS",  false, false)
  local nPort     = SuperGetMV("MV_PORSMTP", false, 465)
  local aFiles    = { cDir .. "assets/relatorio.pdf" }
  local nI

  if At(":", cServer) > 0 then
    nPort   = Val(SubStr(cServer, At(":", cServer) + 1))
    cServer = SubStr(cServer, 1, At(":", cServer) - 1)
  end

  oServer = TMailManager():New()
  oServer:SetUseSSL(lSSL)
  oServer:SetUseTLS(lTLS)
  nRet = oServer:Init("", cServer, cAccount, cPassword, 0, nPort)
  if nRet ~= 0 then
    conout("Init: " .. oServer:GetErrorString(nRet))
    return false
  end
  oServer:SetSMTPTimeout(60)

  nRet = oServer:SMTPConnect()
  if nRet ~= 0 then
    conout("SMTPConnect: " .. StrZero(nRet, 6) .. " " .. oServer:GetErrorString(nRet))
    return false
  end
  if lAuth then
    nRet = oServer:SMTPAuth(cAccount, cPassword)
    if nRet ~= 0 then
      conout("SMTPAuth: " .. oServer:GetErrorString(nRet))
      oServer:SMTPDisconnect()
      return false
    end
  end

  oMessage = TMailMessage():New()
  oMessage:Clear()
  oMessage.cFrom    = cFrom
  oMessage.cTo      = cTo
  oMessage.cCc      = cCc
  oMessage.cBcc     = cBcc
  oMessage.cSubject = "Relatório de Vendas — Novembro/2026"
  oMessage:MsgBodyType("text/html")
  oMessage.cBody    = '<html><body><img src="cid:logo" alt="Empresa"/>' ..
                      "<p>Prezado João,</p>" ..
                      "<p>Segue em anexo o relatório de vendas do mês.</p>" ..
                      "<p>Atenciosamente,<br/>Faturamento</p></body></html>"

  -- inline image: AttachFile returns the 0-based index, -1 on error
  nIdx = oMessage:AttachFile(cDir .. "assets/logo.png")
  if nIdx < 0 then
    conout("AttachFile: logo.png not found")
    return false
  end
  oMessage:AddAttHTag("Content-ID: <logo>")

  for nI = 1, Len(aFiles) do
    if oMessage:AttachFile(aFiles[nI]) < 0 then
      conout("AttachFile: " .. aFiles[nI] .. " not found")
      return false
    end
    oMessage:AddAttHTag('Content-Disposition: attachment; filename="Relatório de Vendas.pdf"')
  end

  nRet = oMessage:Send(oServer)
  if nRet ~= 0 then
    conout("Send: " .. oServer:GetErrorString(nRet))
    oServer:SMTPDisconnect()
    return false
  end
  conout("Relatório enviado para " .. cTo)

  oServer:SMTPDisconnect()
  return true
end

if not SendInvoice() then
  error("SendInvoice failed")
end
