-- relatorio.lua: e-mails the day's report from one account (arg[1]).
-- fulano@empresa.com.br is an Office 365 account: its password "oauth2:"
-- makes advmail ask the host for an access token (XOAUTH2).
package.path = "lib/?.lua;" .. package.path
local mailer = require("mailer")

local cAccount = arg[1]
local nErr, cErr = mailer.send{
	account = cAccount,
	password = cAccount == "fulano@empresa.com.br" and "oauth2:" or "senha",
	to = "diretoria@empresa.com.br",
	subject = "Relatório diário de " .. cAccount .. " - " .. ERPCompany(),
	body = "Total do dia: R$ 1.234,56",
}
if nErr ~= 0 then
	error(cAccount .. ": " .. cErr)
end
conout("relatorio " .. cAccount .. " sent")
