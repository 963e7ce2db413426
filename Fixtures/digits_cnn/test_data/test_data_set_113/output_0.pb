
BlogitsJ(¨dqÀv,iÁõÁÎ­´ÀªÃtÁªg\Àé…Á SÁ’>Á.‡IA