import WhittleCommands

WhittleCommand.start()
