-- envia.lua: e-mails document arg[1] (also the chunk's first vararg) and
-- defines MinhaFuncao for the host to call.
local cDoc = ...

local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", "fulano@empresa.com.br", "senha", 0, 587)
local nErr = oServer:SMTPConnect()
if nErr == 0 then nErr = oServer:SMTPAuth("fulano@empresa.com.br", "senha") end
if nErr == 0 then
	local oMsg = TMailMessage():New()
	oMsg:Clear()
	oMsg.cFrom = "fulano@empresa.com.br"
	oMsg.cTo = "cliente@example.com"
	oMsg.cSubject = "Documento " .. cDoc .. " - " .. ERPCompany()
	oMsg.cBody = "Segue o documento " .. arg[1] .. "."
	nErr = oMsg:Send(oServer)
end
conout("envia " .. cDoc .. ": " .. (nErr == 0 and "sent" or oServer:GetErrorString(nErr)))
oServer:SMTPDisconnect()

function MinhaFuncao(c)
	return "MinhaFuncao(" .. c .. ")"
end
