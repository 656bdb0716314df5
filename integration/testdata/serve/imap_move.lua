-- imap_move.lua: a served IMAP job (Main=imap_move.lua) that files every
-- message of INBOX into a folder, written to the at-least-once contract of
-- advmail serve: a run may be cut off at any point and run again.
--
--   * messages are addressed by UID (SetUseRealID(.T.)), never by
--     sequence number, so a number always means the same message;
--   * each message is saved under a name derived from its Message-ID
--     (hex of the ID) before it is moved; a message whose file already
--     exists was saved by an earlier attempt that died before the move: it
--     is only moved;
--   * the move is one UID MOVE: the message is either still in INBOX or
--     already in the folder, never in both or neither.
--
-- Parameters (Parm1..Parm7): output folder, server, account, password,
-- IMAPS port, pause between messages in milliseconds, target folder.
local cDir, cServer, cUser, cPass, cPort, cPause, cFolder = ...
local nPort, nPause = tonumber(cPort), tonumber(cPause) or 0

local function hexName(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function exists(cPath)
  local f = io.open(cPath, "rb")
  if f then
    f:close()
    return true
  end
  return false
end

local oServer = TMailManager():New()
oServer:SetUseSSL(true)
oServer:Init(cServer, "", cUser, cPass, nPort, 0)
oServer:SetPOPTimeout(20)
oServer:SetUseRealID(true)
local nRet = oServer:IMAPConnect()
if nRet ~= 0 then
  error("IMAPConnect: " .. oServer:GetErrorString(nRet))
end
if not oServer:ChangeFolder(cFolder) then
  if not oServer:CreateFolder(cFolder) then
    error("CreateFolder " .. cFolder .. ": " .. oServer:GetErrorString())
  end
end
if not oServer:ChangeFolder("INBOX") then
  error("ChangeFolder INBOX: " .. oServer:GetErrorString())
end
local aUIDs = oServer:SearchMsgs("ALL")
if aUIDs == nil then
  error("SearchMsgs: " .. oServer:GetErrorString())
end
conout("messages " .. #aUIDs)

local oMsg = TMailMessage():New()
local nSaved, nAlready = 0, 0
for _, nUID in ipairs(aUIDs) do
  if KillApp() then
    conout("stopping: " .. (nSaved + nAlready) .. " of " .. #aUIDs .. " done")
    break
  end
  oMsg:Clear()
  nRet = oMsg:Receive(oServer, nUID)
  if nRet ~= 0 then
    error("Receive UID " .. nUID .. ": " .. oServer:GetErrorString(nRet))
  end
  local cID = oMsg.cMessageID
  local cFile = cDir .. "/" .. hexName(cID) .. ".eml"
  if exists(cFile) then
    nAlready = nAlready + 1
    conout("already " .. cID)
  else
    local cTmp = cFile .. ".part"
    nRet = oMsg:Save(cTmp)
    if nRet ~= 0 then
      error("Save " .. cTmp .. ": " .. nRet)
    end
    local lOk, cErr = os.rename(cTmp, cFile)
    if not lOk then
      error("rename " .. cTmp .. ": " .. tostring(cErr))
    end
    nSaved = nSaved + 1
    conout("saved " .. cID)
  end
  if not oServer:MoveMsgs({ nUID }, cFolder) then
    error("MoveMsgs UID " .. nUID .. ": " .. oServer:GetErrorString())
  end
  conout("imported " .. (nSaved + nAlready))
  if nPause > 0 then
    Sleep(nPause)
  end
end

oServer:IMAPDisconnect()
conout("done: saved " .. nSaved .. ", already filed " .. nAlready)
