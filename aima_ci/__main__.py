from aima_ci._cli import main

main()
