from dondoc.cli.main import main

main()
