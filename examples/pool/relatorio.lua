-- relatorio.lua: e-mails the day's report to one account (arg[1]).
-- Each Pool.Run starts with fresh globals: nothing set here leaks into
-- the next account's run.
local cAccount = arg[1]
assert(cTotal == nil, "a global of a previous run leaked")
cTotal = "R$ 1.234,56"

local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", "smtp.empresa.com.br", cAccount, "senha", 0, 587)
local nErr = oServer:SMTPConnect()
if nErr == 0 then nErr = oServer:SMTPAuth(cAccount, "senha") end
if nErr == 0 then
	local oMsg = TMailMessage():New()
	oMsg:Clear()
	oMsg.cFrom = "erp@empresa.com.br"
	oMsg.cTo = cAccount
	oMsg.cSubject = "Relatório diário"
	oMsg.cBody = "Total do dia: " .. cTotal
	nErr = oMsg:Send(oServer)
end
oServer:SMTPDisconnect()
if nErr ~= 0 then
	error(cAccount .. ": " .. oServer:GetErrorString(nErr))
end
