
BlogitsJ(Wะภ&X#ม@•Bม$1ม•มี๖AFa’ภ|^rภs$ภาAbม