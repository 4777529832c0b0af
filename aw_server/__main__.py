import sys

from aw_server.cli import main

sys.exit(main())
