-- pop.lua HOST PORT USER PASS SSL WANT: download (Receive) and delete every
-- message over POP3 (SSL "1": POP3S).
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local lSSL, nWant = arg[5] == "1", tonumber(arg[6])

local oServer = TMailManager():New()
oServer:SetUseSSL(lSSL)
oServer:Init(cHost, "", cUser, cPass, nPort, 0)
oServer:SetPOPTimeout(120)
local nRet = oServer:POPConnect()
if nRet ~= 0 then BenchFail("POPConnect: " .. oServer:GetErrorString(nRet)) end
local nNum = 0
nRet, nNum = oServer:GetNumMsgs(nNum)
if nNum ~= nWant then BenchFail("messages " .. nNum .. ", want " .. nWant) end
local oMsg = TMailMessage():New()
for i = 1, nNum do
  oMsg:Clear()
  nRet = oMsg:Receive(oServer, i)
  if nRet ~= 0 then BenchFail("Receive " .. i .. ": " .. oServer:GetErrorString(nRet)) end
  nRet = oServer:DeleteMsg(i)
  if nRet ~= 0 then BenchFail("DeleteMsg " .. i .. ": " .. oServer:GetErrorString(nRet)) end
end
nRet = oServer:POPDisconnect()
if nRet ~= 0 then BenchFail("POPDisconnect: " .. oServer:GetErrorString(nRet)) end
print(nNum .. " messages")
