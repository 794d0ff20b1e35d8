from joblens.cli import main

main()
