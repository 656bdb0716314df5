-- envia_boleto.lua: e-mails boleto arg[1] to the customer.
package.path = "lib/?.lua;" .. package.path
local mailer = require("mailer")

local cBoleto = arg[1] or "000000"
local nErr, cErr = mailer.send{
	account = "cobranca@empresa.com.br",
	password = "senha",
	to = "cliente@example.com",
	subject = "Boleto " .. cBoleto .. " - " .. ERPCompany(),
	body = "Segue o boleto " .. cBoleto .. ".",
}
if nErr ~= 0 then
	error("boleto " .. cBoleto .. ": " .. cErr)
end
conout("boleto " .. cBoleto .. " sent")
