
BlogitsJ(uÑÁúQRÀ»)Á3T“ÀÈ¹”ÀÓRÁ,Z1A÷SFÁà>ºÁ