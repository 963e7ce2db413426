
BlogitsJ($5ÁL9ÁÈcÁ|{ýÀõAAÁuT_AøÝ/Á>hÀ2^§À6ûOÁ