import LogitDynCLI

LogitDyn.runMain()
