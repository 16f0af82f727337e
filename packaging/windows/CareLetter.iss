; Windows installer (Inno Setup 6) for the frozen app in dist\CareLetter\ (build.spec).
;   iscc /DAppVersion=0.1.0 packaging\windows\CareLetter.iss   ->  dist\CareLetter-0.1.0-windows-setup.exe
; Installs for the current user (no administrator needed; an administrator may choose all users), adds a
; Start-menu entry, and registers an uninstaller.
; User data (drafts.sqlite3, settings.json, the user's own templates) lives in %LOCALAPPDATA%\CareLetter\CareLetter
; (platformdirs), outside {app}: the uninstaller removes only what it installed, so uninstalling, upgrading or
; reinstalling keeps the data. This file is UTF-8 with a BOM, as Inno Setup needs for the Japanese names.
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "お手紙作成・チェック"

[Setup]
AppId={{6B0E3D52-7C1A-4F4B-9E7D-2C5A8B1F0D93}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=CareLetter contributors
AppCopyright=Copyright (c) 2026 CareLetter contributors (MIT)
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\CareLetter
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=CareLetter-{#AppVersion}-windows-setup
SetupIconFile=..\..\build\icons\careletter.ico
UninstallDisplayIcon={app}\CareLetter.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the bundled libraries wholesale, so no file of an older version is left to be loaded
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; the folder's top carries LICENSE.txt and THIRD_PARTY_NOTICES.txt (build.spec copies them there), so {app} does too
Source: "..\..\dist\CareLetter\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\CareLetter.exe"
Name: "{group}\ライセンス情報"; Filename: "{app}\THIRD_PARTY_NOTICES.txt"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\CareLetter.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\CareLetter.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
