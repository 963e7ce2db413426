
BlogitsJ(wП║ю2рTаFsаще3а▀dаП╬S@x8аC╙юб	аХХP╬