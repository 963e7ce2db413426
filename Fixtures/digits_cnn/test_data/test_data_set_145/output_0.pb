
BlogitsJ(ì?Á°rAb¦BÁÞ¿À"ƒÀøniÁ´UeÁ[–Àx´À·-¾À