-- send.lua HOST PORT USER PASS N SIZE: send N messages of SIZE bytes to
-- USER over one STARTTLS session.
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local nSend, nSize = tonumber(arg[5]), tonumber(arg[6])

local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", cHost, cUser, cPass, 0, nPort)
oServer:SetSMTPTimeout(120)
local nRet = oServer:SMTPConnect()
if nRet ~= 0 then BenchFail("SMTPConnect: " .. oServer:GetErrorString(nRet)) end
nRet = oServer:SMTPAuth(cUser, cPass)
if nRet ~= 0 then BenchFail("SMTPAuth: " .. oServer:GetErrorString(nRet)) end
local cLine = string.sub(string.rep("relatorio de vendas ", 4), 1, 75) .. "\r\n"
local cBody = string.rep(cLine, math.ceil(nSize / #cLine))
local oMsg = TMailMessage():New()
for i = 1, nSend do
  oMsg:Clear()
  oMsg.cFrom = cUser
  oMsg.cTo = cUser
  oMsg.cSubject = "Relatorio " .. i
  oMsg.cBody = cBody
  nRet = oMsg:Send(oServer)
  if nRet ~= 0 then BenchFail("Send " .. i .. ": " .. oServer:GetErrorString(nRet)) end
end
oServer:SMTPDisconnect()
