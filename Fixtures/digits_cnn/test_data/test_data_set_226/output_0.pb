
BlogitsJ(‚~/ÁbSì¿dÉqA
ØÁÐFÁg™Áhx'Áé‰»À&Àv`ZÁ