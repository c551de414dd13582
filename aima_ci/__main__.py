from aima_ci.cli.main import main

main()
