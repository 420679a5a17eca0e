from cspsync.cli import main

main()
