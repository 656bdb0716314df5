-- big.lua HOST SUBMISSION_PORT POP3S_PORT USER PASS FILE OUTDIR: send one
-- message with FILE attached to USER, wait for it over POP3S, save the
-- attachment into OUTDIR (SaveAttach) and delete the message.
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nSubPort, nPopPort, cUser, cPass = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4], arg[5]
local cFile, cOut = arg[6], arg[7]

local oServer = TMailManager():New()
oServer:SetUseTLS(true)
oServer:Init("", cHost, cUser, cPass, 0, nSubPort)
oServer:SetSMTPTimeout(300)
local nRet = oServer:SMTPConnect()
if nRet ~= 0 then BenchFail("SMTPConnect: " .. oServer:GetErrorString(nRet)) end
nRet = oServer:SMTPAuth(cUser, cPass)
if nRet ~= 0 then BenchFail("SMTPAuth: " .. oServer:GetErrorString(nRet)) end
local oMsg = TMailMessage():New()
oMsg.cFrom = cUser
oMsg.cTo = cUser
oMsg.cSubject = "Big attachment"
oMsg.cBody = "See the attachment."
if oMsg:AttachFile(cFile) < 0 then BenchFail("AttachFile " .. cFile) end
nRet = oMsg:Send(oServer)
if nRet ~= 0 then BenchFail("Send: " .. oServer:GetErrorString(nRet)) end
oServer:SMTPDisconnect()
oMsg = nil
collectgarbage()

local oPop = TMailManager():New()
oPop:SetUseSSL(true)
oPop:Init(cHost, "", cUser, cPass, nPopPort, 0)
oPop:SetPOPTimeout(300)
local nNum, nTries = 0, 0
while true do
  nRet = oPop:POPConnect()
  if nRet ~= 0 then BenchFail("POPConnect: " .. oPop:GetErrorString(nRet)) end
  nRet, nNum = oPop:GetNumMsgs(nNum)
  if nNum > 0 then break end
  oPop:POPDisconnect()
  nTries = nTries + 1
  if nTries > 600 then BenchFail("no message arrived") end
  Sleep(200)
end
local oIn = TMailMessage():New()
nRet = oIn:Receive(oPop, 1)
if nRet ~= 0 then BenchFail("Receive: " .. oPop:GetErrorString(nRet)) end
if oIn:GetAttachCount() < 1 then BenchFail("no attachment") end
local cName = cFile:match("[^/]*$")
if not oIn:SaveAttach(1, cOut .. "/" .. cName) then BenchFail("SaveAttach") end
oPop:DeleteMsg(1)
nRet = oPop:POPDisconnect()
if nRet ~= 0 then BenchFail("POPDisconnect: " .. oPop:GetErrorString(nRet)) end
