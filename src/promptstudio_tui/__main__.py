from promptstudio_tui.cli import main

raise SystemExit(main())
