-- send_legacy.lua: the legacy ap5mail.ch commands, as function calls.
--
--   CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPassword RESULT lOk
--   SEND MAIL FROM cFrom TO cTo SUBJECT cSubject BODY cBody ATTACHMENT cFile RESULT lOk
--   GET MAIL ERROR cErr
--   DISCONNECT SMTP SERVER
--
--   advmail run --sandbox scripts/send_legacy.lua

local cDir = string.match(arg and arg[0] or "", "^(.*[/\\])") or "./"

function EnvLegado()
  local lOk, cErr
  local cServer   = SuperGetMV("MV_RELSERV", false, "smtp.empresa.com.br:587")
  local cAccount  = SuperGetMV("MV_RELACNT", false, "faturamento@empresa.com.br")
  local cPassword = SuperGetMV("MV_RELPSW",  false, "senha")
  local cFrom     = SuperGetMV("MV_RELFROM", false, "faturamento@empresa.com.br")
  local cTo       = SuperGetMV("MV_RELDEST", false, "joao@cliente.com.br")
  local lAuth     = SuperGetMV("MV_RELAUTH", false, true)
  local lTLS      = SuperGetMV("MV_RELTLS",  false, true)
  local lSSL      = SuperGetMV("MV_RELSSL",  false, false)

  -- CONNECT SMTP SERVER cServer ACCOUNT cAccount PASSWORD cPassword TIMEOUT 60 RESULT lOk [TLS] [SSL]
  lOk = MailSmtpOn(cServer, cAccount, cPassword, 60, lTLS, lSSL)
  if not lOk then
    -- GET MAIL ERROR cErr
    cErr = MailGetErr()
    conout("Erro ao conectar: " .. cErr)
    return false
  end

  if lAuth then
    if not MailAuth(cAccount, cPassword) then
      cErr = MailGetErr()
      conout("Erro de autenticação: " .. cErr)
      MailSmtpOff()
      return false
    end
  end

  -- SEND MAIL FROM cFrom TO cTo SUBJECT ... BODY ... ATTACHMENT ... RESULT lOk
  lOk = MailSend(cFrom, { cTo }, {}, {}, "Aviso de cobrança nº 4711",
                 "Prezado cliente, segue o boleto em anexo.", { cDir .. "assets/relatorio.pdf" },
                 true, lTLS, lSSL)
  if not lOk then
    cErr = MailGetErr()
    conout("Erro no envio: " .. cErr)
    MailSmtpOff()
    return false
  end
  conout("Aviso enviado para " .. cTo)

  -- DISCONNECT SMTP SERVER
  MailSmtpOff()
  return true
end

if not EnvLegado() then
  error("EnvLegado failed")
end
