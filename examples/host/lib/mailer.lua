-- mailer: the sending routine the host's scripts share, loaded with
-- require("mailer"): the host allows lib/ in Libs.LoadDirs and the
-- scripts add lib/?.lua to package.path.
local M = {}

-- M.send sends one message over SMTP with STARTTLS and returns 0 or the
-- TOTVS error code, with the error text as a second result.
-- m: account, password, to, subject, body.
function M.send(m)
	local oServer = TMailManager():New()
	oServer:SetUseTLS(true)
	oServer:Init("", "smtp.empresa.com.br", m.account, m.password, 0, 587)
	local nErr = oServer:SMTPConnect()
	if nErr == 0 then nErr = oServer:SMTPAuth(m.account, m.password) end
	if nErr == 0 then
		local oMsg = TMailMessage():New()
		oMsg:Clear()
		oMsg.cFrom = m.account
		oMsg.cTo = m.to
		oMsg.cSubject = m.subject
		oMsg.cBody = m.body
		nErr = oMsg:Send(oServer)
	end
	local cErr = nErr == 0 and "" or oServer:GetErrorString(nErr)
	oServer:SMTPDisconnect()
	return nErr, cErr
end

return M
