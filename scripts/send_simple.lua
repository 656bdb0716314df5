-- send_simple.lua: the most common AdvPL mail routine, ported line by line.
--
-- Server, account and addresses come from the [Parameters] section of
-- appserver.ini, the way Protheus routines read MV_REL* with SuperGetMV.
-- Without an appserver.ini the defaults below are used; run it with
--   advmail run --sandbox scripts/send_simple.lua
-- to send through the built-in local sandbox.

function SendSimple()
  local oServer, oMessage, nRet
  local cServer   = SuperGetMV("MV_RELSERV", false, "smtp.empresa.com.br:587")
  local cAccount  = SuperGetMV("MV_RELACNT", false, "faturamento@empresa.com.br")
  local cPassword = SuperGetMV("MV_RELPSW",  false, "senha")
  local cFrom     = SuperGetMV("MV_RELFROM", false, "Faturamento <faturamento@empresa.com.br>")
  local cTo       = SuperGetMV("MV_RELDEST", false, "João da Silva <joao@cliente.com.br>")
  local lAuth     = SuperGetMV("MV_RELAUTH", false, true)
  local lSSL      = SuperGetMV("MV_RELSSL",  false, false)
  local lTLS      = SuperGetMV("MV_RELTLS",  false, true)
  local nTimeout  = SuperGetMV("MV_RELTIME", false, 60)
  local nPort     = 0

  -- split host:port as Protheus routines do with MV_RELSERV
  if At(":", cServer) > 0 then
    nPort   = Val(SubStr(cServer, At(":", cServer) + 1))
    cServer = SubStr(cServer, 1, At(":", cServer) - 1)
  end

  oServer = TMailManager():New()
  oServer:SetUseSSL(lSSL)
  oServer:SetUseTLS(lTLS)

  nRet = oServer:Init("", cServer, cAccount, cPassword, 0, nPort)
  if nRet ~= 0 then
    conout("[SendSimple] Init: " .. oServer:GetErrorString(nRet))
    return false
  end

  nRet = oServer:SetSMTPTimeout(nTimeout)

  nRet = oServer:SMTPConnect()
  if nRet ~= 0 then
    conout("[SendSimple] SMTPConnect: " .. oServer:GetErrorString(nRet))
    return false
  end

  if lAuth then
    nRet = oServer:SmtpAuth(cAccount, cPassword)
    if nRet ~= 0 then
      conout("[SendSimple] SMTPAuth: " .. oServer:GetErrorString(nRet))
      oServer:SMTPDisconnect()
      return false
    end
  end

  oMessage = TMailMessage():New()
  oMessage:Clear()
  oMessage.cDate    = cValToChar(Date())
  oMessage.cFrom    = cFrom
  oMessage.cTo      = cTo
  oMessage.cSubject = "Pedido de Venda 000123 liberado"
  oMessage.cBody    = "<p>Olá,</p><p>O pedido <b>000123</b> foi liberado para faturamento.</p>"

  nRet = oMessage:Send(oServer)
  if nRet ~= 0 then
    conout("[SendSimple] Send: " .. oServer:GetErrorString(nRet))
    oServer:SMTPDisconnect()
    return false
  end

  conout("[SendSimple] mensagem enviada para " .. cTo)
  oServer:SMTPDisconnect()
  return true
end

if not SendSimple() then
  error("SendSimple failed")
end
