; Inno Setup script of Genesis Desktop's Windows installer. installer\build.py runs it after the
; frozen bundle passed its self-test:
;   iscc /DAppVersion=0.1.0 /DBundleDir=build\frozen\genesis-desktop /DOutputDir=dist installer\windows\genesis.iss
; Per-user install by default (no administrator needed); the Start-menu entry starts the windowed
; "Genesis Desktop.exe", and genesis.exe is the command line.

#ifndef AppVersion
  #error Pass /DAppVersion=...
#endif
#ifndef BundleDir
  #error Pass /DBundleDir=... (the frozen one-folder bundle)
#endif
#ifndef OutputDir
  #define OutputDir "dist"
#endif

[Setup]
AppId={{6E2B5B0C-6F0B-4B7E-9C1D-2F3C8A6E5D41}
AppName=Genesis Desktop
AppVersion={#AppVersion}
AppPublisher=Genesis programme office
DefaultDirName={autopf}\Genesis Desktop
DefaultGroupName=Genesis Desktop
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=genesis-desktop-{#AppVersion}-windows-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\Genesis Desktop.exe
ChangesEnvironment=yes

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Genesis Desktop"; Filename: "{app}\Genesis Desktop.exe"
Name: "{autodesktop}\Genesis Desktop"; Filename: "{app}\Genesis Desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; Flags: unchecked
Name: "addtopath"; Description: "Add the genesis command to PATH"; Flags: unchecked

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; \
    Tasks: addtopath; Check: NotOnPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\Genesis Desktop.exe"; Description: "Open Genesis Desktop"; Flags: nowait postinstall skipifsilent

[Code]
function NotOnPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Path) then
    Path := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;
