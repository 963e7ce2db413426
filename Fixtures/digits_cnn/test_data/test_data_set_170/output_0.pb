
BlogitsJ(±N¡†Kà¿√æJ¡Ô%©¿c<í¿àÂ¿Õ:A™uL¡Tïi?ˇJ§¡