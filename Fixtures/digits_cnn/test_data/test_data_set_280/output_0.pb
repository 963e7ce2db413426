
BlogitsJ(½ƒÁf€õÀÕbÁHeÁL˜CAÿzáÀ8p+¿ŽTÁ™¢>ÁªœÁ