from genesis_desktop.cli import main

raise SystemExit(main())
