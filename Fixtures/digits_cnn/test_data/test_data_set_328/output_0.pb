
BlogitsJ(Df]AL'Б°—КАРkБhЙlБЮР(Б—VАДєhБ·9АІдА