-- tstimap.lua: line-by-line Lua port of the TOTVS tstIMAP example
-- (IMAP folder management). The seed hard-codes the server and account;
-- here they are read with SuperGetMV from [Parameters] in appserver.ini,
-- with the seed's literals as defaults, so the same file runs on
--   advmail run --sandbox scripts/tstimap.lua
-- and against a real IMAP server.

function tstIMAP()
  local oMailManager, nErro, aTemp, aStPastas, sFolder, nI
  local cServer = SuperGetMV("MV_IMAPSRV", false, "imap.microsiga.com.br")
  local cUser   = SuperGetMV("MV_IMAPUSR", false, "seuNomeAntesDo@")
  local cPass   = SuperGetMV("MV_IMAPPSW", false, "senhadoemail")
  local nPort   = SuperGetMV("MV_IMAPPOR", false, 0)
  local lSSL    = SuperGetMV("MV_IMAPSSL", false, false)

  oMailManager = TMailManager():New()
  oMailManager:SetUseSSL(lSSL)
  nErro = oMailManager:Init(cServer, "", cUser, cPass, nPort)
  if nErro ~= 0 then
    Conout(oMailManager:GetErrorString(nErro))
    return false
  end

  -- needs [MAIL] Protocol=IMAP in the server ini (IMAPConnect speaks IMAP anyway)
  nErro = oMailManager:IMAPConnect()
  if nErro ~= 0 then
    Conout(oMailManager:GetErrorString(nErro))
    return false
  end

  oMailManager:SetUseRealID(true)

  if not oMailManager:ChangeFolder("TSTIMAP") then
    if not oMailManager:CreateFolder("TSTIMAP") then
      Conout("Erro na criação da pasta TSTIMAP")
      oMailManager:IMAPDisconnect()
      return false
    else
      if not oMailManager:SetFolderSubscribe("TSTIMAP", true) then
        Conout("Erro na assinatura da pasta TSTIMAP")
        oMailManager:IMAPDisconnect()
        return false
      end
    end
  end

  -- rows: [1] name, [2] status, [3] total msgs, [4] read msgs, [5] unread msgs
  aTemp = oMailManager:GetFolderList()
  aStPastas = {}
  for nI = 1, Len(aTemp) do
    aAdd(aStPastas, { aTemp[nI][1], aTemp[nI][3], aTemp[nI][5] })
    Conout("Pasta: " .. aTemp[nI][1] .. " - total: " .. cValToChar(aTemp[nI][3]) ..
           " - não lidas: " .. cValToChar(aTemp[nI][5]))
  end
  varinfo("PASTAS", aStPastas)

  sFolder = oMailManager:GetFolder()
  if not oMailManager:DeleteFolder(sFolder) then
    Conout("Erro ao apagar a pasta " .. sFolder)
    oMailManager:IMAPDisconnect()
    return false
  end

  oMailManager:IMAPDisconnect()
  return true
end

if not tstIMAP() then
  error("tstIMAP failed")
end
