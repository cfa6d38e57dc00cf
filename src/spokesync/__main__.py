from spokesync.cli import main

main()
