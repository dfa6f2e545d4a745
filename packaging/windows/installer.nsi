; 农村户厕问题摸排整改工作台 — per-user Windows installer (no administrator rights needed).
; Built on Linux by scripts/windows.sh with Debian's makensis:
;   makensis -DVERSION=0.1.0 -DEXE=path\to\huce-app.exe -DOUT=path\to\setup.exe installer.nsi
; WebView2 (the browser engine the app draws with) ships with Windows 11 and current Windows 10;
; when it is missing, the installer downloads Microsoft's bootstrapper and runs it.

Unicode true
; A 64-bit installer for a 64-bit app (and Wine without 32-bit support can run it in CI).
Target amd64-unicode
SetCompressor /SOLID lzma
SetCompressorDictSize 64
RequestExecutionLevel user

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!define PRODUCT "户厕摸排整改工作台"
!define PUBLISHER "石鱼镇人民政府"
!define IDENT "cn.cq.tongliang.shiyu.huce"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${IDENT}"
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

Name "${PRODUCT} ${VERSION}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "Software\${IDENT}" "InstallDir"
Icon "${ICON}"
UninstallIcon "${ICON}"
BrandingText "${PUBLISHER}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=2052 "FileDescription" "农村户厕问题摸排整改工作台 安装程序"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"

!include "MUI2.nsh"
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\huce-app.exe"
!define MUI_FINISHPAGE_RUN_TEXT "启动农村户厕问题摸排整改工作台"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

Function EnsureWebView2
  ; Installed per machine or per user: the runtime registers its version under this GUID.
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  StrCmp $0 "" 0 done
  ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  StrCmp $0 "" 0 done
  DetailPrint "没有找到 WebView2 运行库，正在从微软下载安装……"
  nsExec::ExecToLog 'powershell -NoProfile -ExecutionPolicy Bypass -Command "Invoke-WebRequest -UseBasicParsing -Uri https://go.microsoft.com/fwlink/p/?LinkId=2124703 -OutFile $\"$TEMP\MicrosoftEdgeWebview2Setup.exe$\""'
  Pop $1
  IfFileExists "$TEMP\MicrosoftEdgeWebview2Setup.exe" 0 failed
  ExecWait '"$TEMP\MicrosoftEdgeWebview2Setup.exe" /silent /install' $1
  Delete "$TEMP\MicrosoftEdgeWebview2Setup.exe"
  Goto done
  failed:
    MessageBox MB_ICONEXCLAMATION "没能下载 WebView2 运行库（需要联网）。程序已安装，但要先安装微软 WebView2 运行库才能打开：请联网后重新运行本安装程序，或请管理员安装“Microsoft Edge WebView2 Runtime”。" /SD IDOK
  done:
FunctionEnd

Section "Install"
  SetOutPath "$INSTDIR"
  File "/oname=huce-app.exe" "${EXE}"
  File "/oname=LICENSE-OFL.txt" "${FONTLICENSE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\huce-app.exe"
  CreateShortCut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\huce-app.exe"
  WriteRegStr HKCU "Software\${IDENT}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\huce-app.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  Call EnsureWebView2
SectionEnd

Section "Uninstall"
  ; The data (the database, its backups and photos in %APPDATA%) is left in place.
  Delete "$INSTDIR\huce-app.exe"
  Delete "$INSTDIR\LICENSE-OFL.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  Delete "$DESKTOP\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\${IDENT}"
SectionEnd
